using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImagePipeline.Server.State.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RunHeartbeat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "Generation",
                table: "Runs",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<DateTime>(
                name: "HeartbeatAt",
                table: "Runs",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "Generation",
                table: "Runs");

            migrationBuilder.DropColumn(
                name: "HeartbeatAt",
                table: "Runs");
        }
    }
}
